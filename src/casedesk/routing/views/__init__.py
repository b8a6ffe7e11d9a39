"""The routing pages: the rules (`rules`) and the queues with their people (`queues`)."""
