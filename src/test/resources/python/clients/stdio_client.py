# python3 stdio_client.py JAVA CLASSPATH SCRIPT: jnbdkit -s over a pipe to the server's stdin/stdout.
import sys
import nbd

h = nbd.NBD()
h.connect_command([sys.argv[1], "--enable-native-access=ALL-UNNAMED", "-cp", sys.argv[2],
                   "dev.jnbdkit.cli.Main", "-s", "python", sys.argv[3]])
assert h.pread(4, 0) == b"pppp"
print("CLIENT OK")
