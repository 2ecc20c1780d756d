import sys

from trygg_desktop.app import main

sys.exit(main())
