"""Offers and coupons, and the conversions credited to campaigns, links and offers."""
