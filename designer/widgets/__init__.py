"""Small reusable widgets of the designer (parameter editors, text fields, badges)."""
