from advisor.app import main

main()
