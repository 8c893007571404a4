#!/bin/bash
# make-ftps.sh [--force] [--list] [NAME...] — makes the FTPS captures in
# this folder: real TLS sessions between vsftpd (ssl_enable) or ProFTPD
# (mod_tls) and python ftplib (FTP_TLS) or curl, explicit (AUTH TLS) and
# implicit. Scenarios and conventions are those of
# captures/field/make-field.sh (one file scenarios/NAME.sh each), which
# does the work; each scenario also leaves the client's TLS key log
# (NSS format) beside its capture as NAME.keys: the keys of throwaway
# test sessions, kept so that the captures can be decrypted.
here=$(cd "$(dirname "$0")" && pwd)
FST_CAPTURES_DIR=$here exec bash "$here/../field/make-field.sh" "$@"
