"""The JSON APIs of the core, one package each with its own schemas: public catalogue, counter staff, administration.
The citizen API is `miniprogram_api`, which depends on the core and joins it in `wsgi.create_app`."""
