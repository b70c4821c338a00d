# report piece: see the issue that owns it
