"""Events from providers (Stripe), applied to the domains they concern: above orders and wallet, like jobs."""
