"""reviews domain: reviews of products and stores, their rating aggregates, helpful votes, replies."""
