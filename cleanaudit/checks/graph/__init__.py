"""The neighbour graph every KNN check shares, and its search."""
