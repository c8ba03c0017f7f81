"""JSON API blueprints of the core: the public catalogue (staff and admin APIs join later)."""
