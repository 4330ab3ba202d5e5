from evidencekb.cli import main

main()
