#!/usr/bin/env python3
"""masked_pcap.py - the pcap checks of test_incident_passwords.sh.

    masked_pcap.py fix-checksums IN.pcap OUT.pcap
        Writes IN with every TCP checksum recomputed (IPv4 and IPv6 over
        Ethernet, as tcpdump saves lo): a capture on lo holds the partial
        sums of checksum offload, and the test wants to see that the
        masked extract's checksums are right, not that they were wrong.
    masked_pcap.py compare MASKED.pcap KEPT.pcap
        Exit 0 when both hold the same records (count, timestamps,
        lengths) and every byte that differs is a '*' in MASKED or one of
        the two bytes of a TCP checksum; prints what it found.

Classic little-endian microsecond pcap, as tcpdump and ftpstall write it.
Python 3 standard library only.
"""

import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    header, off, records = data[:24], 24, []
    if struct.unpack("<I", header[:4])[0] != 0xA1B2C3D4:
        sys.exit(f"{path}: not a little-endian microsecond pcap")
    while off + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[off : off + 16])
        records.append([sec, usec, wirelen, bytearray(data[off + 16 : off + 16 + caplen])])
        off += 16 + caplen
    return header, records


def tcp_offsets(frame):
    """(l3 offset, l4 offset, family) of an Ethernet TCP frame, or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack(">H", frame[12:14])[0]
    if etype == 0x0800 and len(frame) >= 34 and frame[23] == 6:
        return 14, 14 + (frame[14] & 0x0F) * 4, 4
    if etype == 0x86DD and len(frame) >= 54 and frame[20] == 6:
        return 14, 54, 6
    return None


def csum(data):
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def fix(path_in, path_out):
    header, records = read_pcap(path_in)
    fixed = 0
    for rec in records:
        frame = rec[3]
        offs = tcp_offsets(frame)
        if not offs or len(frame) < rec[2]:
            continue
        l3, l4, family = offs
        if family == 4:
            seg_len = struct.unpack(">H", frame[l3 + 2 : l3 + 4])[0] - (l4 - l3)
            pseudo = frame[l3 + 12 : l3 + 20] + struct.pack(">HH", 6, seg_len)
        else:
            seg_len = struct.unpack(">H", frame[l3 + 4 : l3 + 6])[0]
            pseudo = frame[l3 + 8 : l3 + 40] + struct.pack(">IxxxB", seg_len, 6)
        seg = frame[l4 : l4 + seg_len]
        seg[16:18] = b"\0\0"
        check = ~csum(pseudo + seg) & 0xFFFF
        frame[l4 + 16 : l4 + 18] = struct.pack(">H", check)
        fixed += 1
    with open(path_out, "wb") as f:
        f.write(header)
        for sec, usec, wirelen, frame in records:
            f.write(struct.pack("<IIII", sec, usec, len(frame), wirelen) + frame)
    print(f"{fixed} TCP checksums computed over {len(records)} frames")


def compare(masked_path, kept_path):
    _, masked = read_pcap(masked_path)
    _, kept = read_pcap(kept_path)
    if len(masked) != len(kept):
        sys.exit(f"{len(masked)} records masked, {len(kept)} kept")
    stars = checks = 0
    for i, (m, k) in enumerate(zip(masked, kept)):
        if m[:3] != k[:3] or len(m[3]) != len(k[3]):
            sys.exit(f"record {i + 1}: timestamps or lengths differ")
        offs = tcp_offsets(k[3])
        check_at = (offs[1] + 16, offs[1] + 17) if offs else ()
        for j, (a, b) in enumerate(zip(m[3], k[3])):
            if a == b:
                continue
            if j in check_at:
                checks += 1
            elif a == ord("*"):
                stars += 1
            else:
                sys.exit(f"record {i + 1} byte {j}: {b:#04x} became {a:#04x}")
    print(f"{len(masked)} records alike but for {stars} bytes masked and {checks} checksum bytes")
    if stars == 0:
        sys.exit("nothing was masked")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "fix-checksums":
        fix(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
