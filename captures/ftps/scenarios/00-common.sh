# Shared by the FTPS scenarios (sourced by make-field.sh; registers none).

# ftps_cert DIR — a throwaway self-signed certificate, made at capture time,
# in DIR/cert.pem and DIR/key.pem.
ftps_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ftpstall-test \
		-keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# ftps_vsftpd_start DIR [key=value ...] — fst_vsftpd_start with TLS on for
# anonymous sessions (control and data), a certificate made now and a
# file hello.txt to fetch.
ftps_vsftpd_start() {
	local w=$1
	shift
	ftps_cert "$w"
	fst_vsftpd_start "$w" ssl_enable=YES allow_anon_ssl=YES force_anon_logins_ssl=YES \
		force_anon_data_ssl=YES "rsa_cert_file=$w/cert.pem" \
		"rsa_private_key_file=$w/key.pem" ssl_ciphers=HIGH "$@"
	head -c 20000 /dev/urandom >"$w/root/hello.txt"
}

# ftps_client W ARGS... — captures/ftps/ftps_client.py in the namespace,
# its key log in W/out.keys.
ftps_client() {
	local w=$1
	shift
	fst_ns timeout 40 python3 "$here/ftps_client.py" --keylog "$w/out.keys" "$@"
}

# ftps_proftpd_start DIR [DIRECTIVE ...] — fst_proftpd_start with mod_tls
# loaded (from Debian's proftpd-mod-crypto), TLS required for control and
# data, a certificate made now, and a file hello.txt to fetch.
ftps_proftpd_start() {
	local w=$1
	shift
	ftps_cert "$w"
	FST_PROFTPD_TLS=1 fst_proftpd_start "$w" \
		"ModulePath $w/proftpd-pkg/usr/lib/proftpd" "LoadModule mod_tls.c" \
		"TLSEngine on" "TLSLog $w/tls.log" "TLSProtocol TLSv1.2 TLSv1.3" \
		"TLSRSACertificateFile $w/cert.pem" "TLSRSACertificateKeyFile $w/key.pem" \
		"TLSVerifyClient off" "TLSRequired on" "$@" || {
		echo "make-field: ProFTPD with mod_tls cannot be run here (see above); no capture made" >&2
		return 1
	}
	head -c 20000 /dev/urandom >"$w/root/hello.txt"
}
