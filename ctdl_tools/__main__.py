from ctdl_tools.cli import entry

entry()
