import nbdkit
raise ImportError("this script cannot start")
