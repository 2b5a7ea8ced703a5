"""marshmallow schemas: the one input-validation boundary (shape and format, never the database)."""
