#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 2.
PORT_OFFSET = 2
