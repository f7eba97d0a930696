"""The data keys, and the personal fields and search tokens they protect.

A copy of the database (the SQLite file, a dump, a backup) must not name anyone: the fields
that name, locate or describe a person are stored encrypted (``fields``), and the name search
reads keyed tokens (``tokens``) that reveal no name without the key. The keys live outside the
database, in a key file in the instance folder or the environment (``keyring``); ``flask
--app wsgi keys`` makes, checks and rotates them (``cli``, ``rotation``).
"""
