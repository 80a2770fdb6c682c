from gh_ft.cli import main

main()
