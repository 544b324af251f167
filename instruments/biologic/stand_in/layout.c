/* Prints the size of each structure of eclib.h and the offset of each field, one per line:
 *   <struct> <size>            and            <struct>.<field> <offset>
 * The test of the ctypes binding compares these numbers with ctypes.sizeof / Structure.<field>.offset. */
#include "eclib.h"

#include <stddef.h>
#include <stdio.h>

#define SIZE(s) printf("%s %zu\n", #s, sizeof(s))
#define OFF(s, f) printf("%s.%s %zu\n", #s, #f, offsetof(s, f))

int main(void) {
    SIZE(TDeviceInfos);
    OFF(TDeviceInfos, DeviceCode); OFF(TDeviceInfos, RAMsize); OFF(TDeviceInfos, CPU);
    OFF(TDeviceInfos, NumberOfChannels); OFF(TDeviceInfos, NumberOfSlots); OFF(TDeviceInfos, FirmwareVersion);
    OFF(TDeviceInfos, FirmwareDate_yyyy); OFF(TDeviceInfos, FirmwareDate_mm); OFF(TDeviceInfos, FirmwareDate_dd);
    OFF(TDeviceInfos, HTdisplayOn); OFF(TDeviceInfos, NbOfConnectedPC);
    SIZE(TChannelInfos);
    OFF(TChannelInfos, Channel); OFF(TChannelInfos, BoardVersion); OFF(TChannelInfos, BoardSerialNumber);
    OFF(TChannelInfos, FirmwareCode); OFF(TChannelInfos, FirmwareVersion); OFF(TChannelInfos, XilinxVersion);
    OFF(TChannelInfos, AmpCode); OFF(TChannelInfos, NbAmps); OFF(TChannelInfos, Lcboard); OFF(TChannelInfos, Zboard);
    OFF(TChannelInfos, MUXboard); OFF(TChannelInfos, GPRAboard); OFF(TChannelInfos, MemSize);
    OFF(TChannelInfos, MemFilled); OFF(TChannelInfos, State); OFF(TChannelInfos, MaxIRange);
    OFF(TChannelInfos, MinIRange); OFF(TChannelInfos, MaxBandwidth); OFF(TChannelInfos, NbOfTechniques);
    SIZE(TEccParam);
    OFF(TEccParam, ParamStr); OFF(TEccParam, ParamType); OFF(TEccParam, ParamVal); OFF(TEccParam, ParamIndex);
    SIZE(TEccParams);
    OFF(TEccParams, len); OFF(TEccParams, pParams);
    SIZE(TDataInfos);
    OFF(TDataInfos, IRQskipped); OFF(TDataInfos, NbRows); OFF(TDataInfos, NbCols); OFF(TDataInfos, TechniqueIndex);
    OFF(TDataInfos, TechniqueID); OFF(TDataInfos, ProcessIndex); OFF(TDataInfos, loop); OFF(TDataInfos, StartTime);
    OFF(TDataInfos, MuxPad);
    SIZE(TCurrentValues);
    OFF(TCurrentValues, State); OFF(TCurrentValues, MemFilled); OFF(TCurrentValues, TimeBase);
    OFF(TCurrentValues, Ewe); OFF(TCurrentValues, EweRangeMin); OFF(TCurrentValues, EweRangeMax);
    OFF(TCurrentValues, Ece); OFF(TCurrentValues, EceRangeMin); OFF(TCurrentValues, EceRangeMax);
    OFF(TCurrentValues, Eoverflow); OFF(TCurrentValues, I); OFF(TCurrentValues, IRange);
    OFF(TCurrentValues, Ioverflow); OFF(TCurrentValues, ElapsedTime); OFF(TCurrentValues, Freq);
    OFF(TCurrentValues, Rcomp); OFF(TCurrentValues, Saturation); OFF(TCurrentValues, OptErr);
    OFF(TCurrentValues, OptPos);
    return 0;
}
