from care.cli import main

main()
