/* The EC-Lab Development Package C interface (EClib.dll / EClib64.dll) as public sources describe it.
 *
 * This header is written from shared/reference/biologic-eclib.md (function signatures, structure layouts
 * and their 4-byte packing, constants), which cites bicarlsen/easy-biologic lib/ec_lib.py and BioLogic's
 * kbio kbio_api.py / kbio_types.py as committed in public repositories. It is NOT BioLogic's header: the
 * stand-in library (eclib_stand_in.c) and the layout printer (layout.c) are compiled against it so that
 * the project's ctypes declarations (instruments/biologic/eclib_ctypes.py) can be checked against an
 * independent C description of the same interface.
 *
 * Every function returns an int32 error code: 0 = OK, negative = error (see ERR_* below).
 * Channels are counted from 0 here (the DLL's numbering); EC-Lab and the front panel count from 1.
 */
#ifndef NZSP_ECLIB_H
#define NZSP_ECLIB_H

#include <stdbool.h>
#include <stdint.h>

#if defined(_WIN32)
#  define BL_EXPORT __declspec(dllexport)
#  define BL_CALL __stdcall          /* every public wrapper loads the DLL with WinDLL (stdcall) */
#else
#  define BL_EXPORT __attribute__((visibility("default")))
#  define BL_CALL
#endif

#define MAX_SLOT_NB 16
#define DATA_BUFFER_WORDS 1000

/* Error codes (easy-biologic lib/ec_errors.py; kbio kbio_types.py ERROR). */
enum {
    ERR_NOERROR = 0,
    ERR_GEN_NOTCONNECTED = -1,
    ERR_GEN_CHANNELNOTPLUGGED = -3,
    ERR_GEN_INVALIDPARAMETERS = -4,
    ERR_GEN_FILENOTEXISTS = -5,
    ERR_GEN_FUNCTIONFAILED = -6,
    ERR_GEN_NOCHANNELSELECTED = -7,
    ERR_GEN_ECLAB_LOADED = -9,
    ERR_GEN_CHANNEL_RUNNING = -13,
    ERR_COMM_COMMFAILED = -200,
    ERR_COMM_CONNECTIONFAILED = -201,
    ERR_COMM_INVALIDIPADDRESS = -203,
    ERR_COMM_MAXCONNREACHED = -207,
    ERR_FIRM_FIRMFILENOTEXISTS = -300,
    ERR_FIRM_FIRMWARENOTLOADED = -308,
    ERR_TECH_ECCFILENOTEXISTS = -400,
    ERR_TECH_INCOMPATIBLEECC = -401,
    ERR_TECH_DATACORRUPTED = -404
};

/* Device code of a VMP-300 in TDeviceInfos.DeviceCode; board types of BL_GetChannelBoardType. */
enum { KBIO_DEV_VMP300 = 12 };
enum { BOARD_UNKNOWN = 0, BOARD_ESSENTIAL = 1, BOARD_PREMIUM = 2, BOARD_DIGICORE = 3 };
/* Channel state in TCurrentValues.State. */
enum { KBIO_STATE_STOP = 0, KBIO_STATE_RUN = 1, KBIO_STATE_PAUSE = 2 };
/* TEccParam.ParamType. */
enum { PARAM_INT = 0, PARAM_BOOLEAN = 1, PARAM_SINGLE = 2 };
/* TDataInfos.TechniqueID. */
enum { KBIO_TECHID_OCV = 100, KBIO_TECHID_CA = 101, KBIO_TECHID_CP = 102, KBIO_TECHID_CV = 103,
       KBIO_TECHID_PEIS = 104, KBIO_TECHID_GEIS = 107 };

#pragma pack(push, 4)

typedef struct {
    int32_t DeviceCode;
    int32_t RAMsize;
    int32_t CPU;
    int32_t NumberOfChannels;
    int32_t NumberOfSlots;
    int32_t FirmwareVersion;
    int32_t FirmwareDate_yyyy;
    int32_t FirmwareDate_mm;
    int32_t FirmwareDate_dd;
    int32_t HTdisplayOn;
    int32_t NbOfConnectedPC;
} TDeviceInfos;

typedef struct {
    int32_t Channel;
    int32_t BoardVersion;
    int32_t BoardSerialNumber;
    int32_t FirmwareCode;
    int32_t FirmwareVersion;
    int32_t XilinxVersion;
    int32_t AmpCode;
    int32_t NbAmps;
    int32_t Lcboard;
    int32_t Zboard;
    int32_t MUXboard;
    int32_t GPRAboard;
    int32_t MemSize;
    int32_t MemFilled;
    int32_t State;
    int32_t MaxIRange;
    int32_t MinIRange;
    int32_t MaxBandwidth;
    int32_t NbOfTechniques;
} TChannelInfos;

typedef struct {
    char ParamStr[64];
    int32_t ParamType;
    uint32_t ParamVal;      /* the value's bits: int32, bool (0/1) or IEEE-754 single */
    int32_t ParamIndex;
} TEccParam;

typedef struct {
    int32_t len;
    TEccParam *pParams;
} TEccParams;

typedef struct {
    int32_t IRQskipped;
    int32_t NbRows;
    int32_t NbCols;
    int32_t TechniqueIndex;
    int32_t TechniqueID;
    int32_t ProcessIndex;
    int32_t loop;
    double StartTime;       /* at offset 28: the structure is packed on 4 bytes */
    int32_t MuxPad;
} TDataInfos;

typedef struct {
    int32_t State;
    int32_t MemFilled;
    float TimeBase;
    float Ewe;
    float EweRangeMin;
    float EweRangeMax;
    float Ece;
    float EceRangeMin;
    float EceRangeMax;
    int32_t Eoverflow;
    float I;
    int32_t IRange;
    int32_t Ioverflow;
    float ElapsedTime;
    float Freq;
    float Rcomp;
    int32_t Saturation;
    int32_t OptErr;
    int32_t OptPos;
} TCurrentValues;

#pragma pack(pop)

BL_EXPORT int32_t BL_CALL BL_Connect(const char *address, uint8_t timeout_s, int32_t *id, TDeviceInfos *infos);
BL_EXPORT int32_t BL_CALL BL_Disconnect(int32_t id);
BL_EXPORT int32_t BL_CALL BL_GetChannelsPlugged(int32_t id, uint8_t *plugged, uint8_t size);
BL_EXPORT int32_t BL_CALL BL_GetChannelInfos(int32_t id, uint8_t channel, TChannelInfos *infos);
BL_EXPORT int32_t BL_CALL BL_GetChannelBoardType(int32_t id, uint8_t channel, uint32_t *board_type);
BL_EXPORT int32_t BL_CALL BL_LoadFirmware(int32_t id, uint8_t *channels, int32_t *results, uint8_t length,
                                          bool show_gauge, bool force_reload, const char *bin_file,
                                          const char *xlx_file);
BL_EXPORT int32_t BL_CALL BL_DefineBoolParameter(const char *label, bool value, int32_t index, TEccParam *param);
BL_EXPORT int32_t BL_CALL BL_DefineSglParameter(const char *label, float value, int32_t index, TEccParam *param);
BL_EXPORT int32_t BL_CALL BL_DefineIntParameter(const char *label, int32_t value, int32_t index, TEccParam *param);
BL_EXPORT int32_t BL_CALL BL_LoadTechnique(int32_t id, uint8_t channel, const char *ecc_file, TEccParams params,
                                           bool first, bool last, bool display);
BL_EXPORT int32_t BL_CALL BL_StartChannel(int32_t id, uint8_t channel);
BL_EXPORT int32_t BL_CALL BL_StopChannel(int32_t id, uint8_t channel);
BL_EXPORT int32_t BL_CALL BL_GetCurrentValues(int32_t id, uint8_t channel, TCurrentValues *values);
BL_EXPORT int32_t BL_CALL BL_GetData(int32_t id, uint8_t channel, uint32_t *buffer, TDataInfos *infos,
                                     TCurrentValues *values);
BL_EXPORT int32_t BL_CALL BL_ConvertNumericIntoSingle(uint32_t value, float *result);
BL_EXPORT int32_t BL_CALL BL_ConvertChannelNumericIntoSingle(uint32_t value, float *result, uint32_t board_type);

#endif
