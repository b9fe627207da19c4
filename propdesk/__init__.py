"""PropDesk: the customer-service center of a property-management company."""
