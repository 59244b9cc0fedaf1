"""The spec language front end: text -> lark tree -> model.  Lark objects never leave here."""
