"""Offers (coupons, promotions) and the conversions credited to campaigns, links and offers."""
