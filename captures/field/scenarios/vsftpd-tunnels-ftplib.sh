# vsftpd-tunnels-ftplib: two python ftplib sessions with vsftpd, one over
# IPv6 and one over IPv4, each listing the directory and fetching a file
# (EPSV/PASV, RETR, QUIT), as they cross a tunnel: the IPv6 one inside
# IPv4 (IP protocol 41, "ip tunnel ... mode sit", 6in4), the IPv4 one
# inside IPv4 (protocol 4, "mode ipip"), between 10.77.0.2 and 10.77.0.1.
# This kernel has no sit or ipip devices, so the capture is derived: the
# sessions run between real addresses (fd77::2 -> fd77::1, 10.78.0.2 ->
# 10.78.0.1) and every frame of the real capture gets the outer IPv4
# header a tunnel endpoint writes (RFC 4213 3.5, RFC 2003 3.1: TTL 64,
# DF, a fresh IP id, the inner packet unchanged). ftpstall must parse
# both sessions like any other.
field_scenario vsftpd-tunnels-ftplib \
	"ftplib sessions inside 6in4 (sit) and IP-in-IP (ipip) tunnel headers"

make_vsftpd_tunnels_ftplib() {
	local w=$1
	fst_ns ip -6 addr add fd77::1/128 dev lo nodad
	fst_ns ip -6 addr add fd77::2/128 dev lo nodad
	fst_ns ip addr add 10.78.0.1/32 dev lo
	fst_ns ip addr add 10.78.0.2/32 dev lo
	fst_vsftpd_root "$w"
	printf 'ftpstall field capture, a small file\r\n' >"$w/root/readme.txt"
	chmod 644 "$w/root/readme.txt"
	_fst_vsftpd_conf "$w" vsftpd listen_address=10.78.0.1 idle_session_timeout=30
	_fst_vsftpd_launch "$w" vsftpd "10.78.0.1:21"
	_fst_vsftpd_conf "$w" vsftpd6 listen=NO listen_ipv6=YES listen_address6=fd77::1 \
		idle_session_timeout=30
	_fst_vsftpd_launch "$w" vsftpd6 "[fd77::1]:21"
	fst_capture_start lo "$w/raw.pcap" tcp
	fst_ns timeout 30 python3 - <<'PY'
import ftplib
for server, client, port in (("fd77::1", "fd77::2", 40071), ("10.78.0.1", "10.78.0.2", 40073)):
    ftp = ftplib.FTP()
    ftp.connect(server, 21, timeout=20, source_address=(client, port))
    ftp.source_address = (client, 0)  # data connections: any port
    ftp.login("anonymous", "field@example.com")
    names = ftp.nlst()
    assert "readme.txt" in names, names
    got = []
    ftp.retrbinary("RETR readme.txt", got.append)
    assert b"".join(got).startswith(b"ftpstall field capture"), got
    ftp.quit()
PY
	fst_capture_stop
	python3 - "$w/raw.pcap" "$w/out.pcap" <<'PY'
import struct, sys

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

raw = open(sys.argv[1], "rb").read()
magic, = struct.unpack("<I", raw[:4])
assert magic == 0xa1b2c3d4, hex(magic)
linktype, = struct.unpack("<I", raw[20:24])
assert linktype == 1, linktype
out = bytearray(raw[:24])
pos, ident = 24, 0x4000
while pos + 16 <= len(raw):
    sec, usec, caplen, wirelen = struct.unpack("<IIII", raw[pos:pos + 16])
    frame = raw[pos + 16:pos + 16 + caplen]
    pos += 16 + caplen
    etype, = struct.unpack("!H", frame[12:14])
    inner = frame[14:]
    if etype == 0x86DD:   # 6in4: the client end is fd77::2
        proto, toward_server = 41, inner[8:24] == bytes.fromhex("fd77" + "00" * 13 + "02")
    elif etype == 0x0800:  # ipip: the client end is 10.78.0.2
        proto, toward_server = 4, inner[12:16] == bytes([10, 78, 0, 2])
    else:
        raise SystemExit("unexpected ethertype %#x" % etype)
    src, dst = ((10, 77, 0, 2), (10, 77, 0, 1)) if toward_server else ((10, 77, 0, 1), (10, 77, 0, 2))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + (wirelen - 14), ident, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    ident += 1
    new = frame[:12] + b"\x08\x00" + hdr + inner
    out += struct.pack("<IIII", sec, usec, len(new), wirelen + 20) + new
open(sys.argv[2], "wb").write(out)
PY
}

check_vsftpd_tunnels_ftplib() {
	field_expect_count "$1" 'ip.proto == 41 && ipv6 && tcp' "$(field_frames "$1" 'ipv6 && tcp' | wc -l)" &&
		field_expect_count "$1" 'ip.proto == 4 && tcp' "$(field_frames "$1" 'ip.proto == 4 && tcp' | wc -l)" &&
		field_expect_count "$1" 'ipv6 && ftp.request.command == "RETR"' 1 &&
		field_expect_count "$1" 'ip.proto == 4 && ftp.request.command == "RETR"' 1 &&
		field_expect_count "$1" 'ftp.response.code == 226' 4 &&
		field_expect_count "$1" 'tcp && !(ip.proto == 4) && !(ip.proto == 41)' 0
}
