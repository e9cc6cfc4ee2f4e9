# python3 stdio_client.py SERVER-ARGV...: the server with -s, over a pipe to its stdin/stdout.
import sys
import nbd

h = nbd.NBD()
h.connect_command(sys.argv[1:])
assert h.pread(4, 0) == b"pppp"
print("CLIENT OK")
