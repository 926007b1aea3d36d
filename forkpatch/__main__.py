from forkpatch.cli import main

raise SystemExit(main())
