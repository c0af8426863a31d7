from benchhub.host.cli import main

main()
