import sys

from lab.simulate.cli import main

sys.exit(main())
