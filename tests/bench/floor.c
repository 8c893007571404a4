/* bench_floor: the floor for reading a capture file, a bare
 * pcap_next_ex() loop that counts records and touches nothing else (not
 * even the packet bytes). ftpstall's time is measured against it.
 *
 * It reads the file as ftpstall does, through a 256 KiB stdio buffer that
 * starts on a page (src/capture/source.c); --default-buffer leaves stdio's
 * default (one page, as pcap_open_offline() has it) to show what that
 * costs. The alignment is part of the floor: read(2) into a buffer that
 * straddles pages copied several times slower here (docs/performance.md). */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t packets = 0;
	static char read_buffer[256 << 10] __attribute__((aligned(4096)));
	bool default_buffer = argc == 3 && strcmp(argv[1], "--default-buffer") == 0;
	const char *path = argv[argc - 1];
	FILE *stream;
	pcap_t *p;
	int rc;

	if (argc != 2 && !default_buffer) {
		fprintf(stderr, "usage: bench_floor [--default-buffer] FILE.pcap\n");
		return 2;
	}
	stream = fopen(path, "rb");
	if (!stream) {
		fprintf(stderr, "bench_floor: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!default_buffer)
		setvbuf(stream, read_buffer, _IOFBF, sizeof(read_buffer));
	p = pcap_fopen_offline(stream, errbuf);
	if (!p) {
		fprintf(stderr, "bench_floor: %s\n", errbuf);
		fclose(stream);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1)
		packets++;
	if (rc == PCAP_ERROR)
		fprintf(stderr, "bench_floor: %s\n", pcap_geterr(p));
	pcap_close(p);
	printf("%" PRIu64 " packets\n", packets);
	return rc == PCAP_ERROR ? 1 : 0;
}
