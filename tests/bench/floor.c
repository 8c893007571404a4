/* bench_floor: the floor for reading a capture file, a bare
 * pcap_next_ex() loop that counts records and touches nothing else (not
 * even the packet bytes). ftpstall's time is measured against it. */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t packets = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_floor FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "bench_floor: %s\n", errbuf);
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
