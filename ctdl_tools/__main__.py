from ctdl_tools.cli import main

main()
