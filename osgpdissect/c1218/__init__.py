"""The ANSI C12.18 layer shared by both ports: service codes, table decoding against the
device context, procedures and their tracking."""
