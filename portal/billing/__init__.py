"""Payments: the practice's Stripe account, Stripe's webhook, and (with the ledger) the balance."""
