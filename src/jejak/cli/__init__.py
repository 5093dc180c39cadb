"""The composition root: the `jejak` command line. Parses arguments, calls the layers below."""
