from care.app.cli import main

main()
