"""Check the ctypes binding against a real Development Package and VMP-300 (run it on the Windows PC).

    python -m instruments.biologic.check_dll [--dll PATH] [--address USB0] [--channel 1] [--peis-hz F]

Prints the size of every structure as ctypes lays it out next to the size the public sources document,
connects, prints what the instrument and the channel report, loads the firmware (keeping EC-Lab's if it
is there), runs OCV for 3 s and prints one reading. With ``--peis-hz`` it also measures one PEIS point
(10 mV) and prints the raw row, so that the unit of phase_Zwe can be read off a cell of known phase (on
a 1 kOhm || 1 uF test box at 159 Hz the phase is -45 degrees = -0.785 rad). Nothing is written to the
instrument beyond these techniques; the channel is stopped and the connection closed at the end.
"""

from __future__ import annotations

import argparse
import ctypes
import sys
import time

from instruments.biologic import eclib_ctypes, frames, techniques
from instruments.biologic.binding import BOARD_NAME, FIRMWARE_FILES, EcLibError

#: sizes the public sources give (reference biologic-eclib.md, 4-byte packing)
DOCUMENTED_SIZES = {"TDeviceInfos": 44, "TChannelInfos": 76, "TEccParam": 76, "TDataInfos": 40,
                    "TCurrentValues": 76, "TEccParams": 4 + ctypes.sizeof(ctypes.c_void_p)}


def _drain(lib, device_id, channel, board, seconds):
    deadline, out = time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        infos, values, words = lib.get_data(device_id, channel)
        out += [(infos, words[:infos.NbCols], r) for r in
                frames.decode(infos, values, words, board_type=board,
                              to_single=lambda w: lib.convert_single(w, board))]
        if values.State == 0 and not infos.NbRows:
            break
        time.sleep(0.2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instruments.biologic.check_dll",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dll", default=None, help="EClib64.dll or its folder (default: $ECLIB_DIR, then the "
                                                    "Development Package's folder)")
    parser.add_argument("--address", default="USB0", help='"USB0" or the instrument\'s IP address')
    parser.add_argument("--channel", type=int, default=1, help="channel, 1 to 16 as on the front panel")
    parser.add_argument("--peis-hz", type=float, default=None, help="also measure one PEIS point at this frequency")
    args = parser.parse_args(argv)

    print("structure        ctypes  documented")
    for structure in eclib_ctypes.STRUCTURES:
        size = ctypes.sizeof(structure)
        documented = DOCUMENTED_SIZES[structure.__name__]
        print(f"{structure.__name__:16} {size:6d}  {documented:10d}{'' if size == documented else '  MISMATCH'}")
    try:
        lib = eclib_ctypes.CtypesEcLib(args.dll)
    except Exception as exc:  # noqa: BLE001 - say it in one line
        print(f"error: {exc}")
        return 2
    print(f"library: {lib.path}; optional functions present: "
          f"{sorted(set(lib.functions) & eclib_ctypes.OPTIONAL) or 'none'}")
    channel = args.channel - 1
    try:
        device_id, info = lib.connect(args.address)
    except EcLibError as exc:
        print(f"error: {exc}")
        return 3
    try:
        print(f"device: {info}")
        print(f"plugged channels (from 1): {[c + 1 for c in lib.channels_plugged(device_id)]}")
        board = lib.channel_board_type(device_id, channel)
        print(f"channel {args.channel}: board type {board} ({BOARD_NAME.get(board, '?')}); "
              f"{lib.channel_info(device_id, channel)}")
        kernel, fpga = FIRMWARE_FILES.get(board, ("", ""))
        folder = lib.path.parent
        try:
            results = lib.load_firmware(device_id, [channel], bin_file=str(folder / kernel) if kernel else None,
                                        xlx_file=str(folder / fpga) if fpga else None)
            print(f"firmware {kernel} + {fpga or '-'}: channel result {results}")
        except EcLibError as exc:
            if exc.code != -9:
                raise
            print("firmware: EC-Lab's firmware is on the instrument (error -9), kept")
        ocv = techniques.ocv(3.0, record_dt_s=0.5)
        lib.load_technique(device_id, channel, ocv.file(board), ocv.parameters)
        lib.start_channel(device_id, channel)
        records = _drain(lib, device_id, channel, board, 10.0)
        print(f"OCV: {len(records)} rows; last: {records[-1][2] if records else 'none'}")
        print(f"current values: {lib.get_current_values(device_id, channel)}")
        if args.peis_hz:
            peis = techniques.peis(args.peis_hz, args.peis_hz, 1, amplitude_v=0.01, average_n=2)
            lib.load_technique(device_id, channel, peis.file(board), peis.parameters)
            lib.start_channel(device_id, channel)
            for infos, raw, record in _drain(lib, device_id, channel, board, 60.0):
                if isinstance(record, frames.FrequencyRecord):
                    print(f"PEIS process {infos.ProcessIndex}, {infos.NbCols} columns, raw words {raw}")
                    print(f"  f = {record.frequency_hz:g} Hz, |Ewe| = {record.ewe_amplitude_v:g} V, "
                          f"|I| = {record.i_amplitude_a:g} A, phase_Zwe = {record.phase_deg:g} "
                          "(degrees if the cell's phase in degrees, radians otherwise)")
    except EcLibError as exc:
        print(f"error: {exc}")
        return 1
    finally:
        for step in (lambda: lib.stop_channel(device_id, channel), lambda: lib.disconnect(device_id)):
            try:
                step()
            except EcLibError as exc:
                print(f"warning: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
