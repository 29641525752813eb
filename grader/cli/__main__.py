from grader.cli.entry import main

main()
