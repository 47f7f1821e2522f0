"""python -m forgetlab  ==  forgetlab"""

from forgetlab.cli.main import main

main()
