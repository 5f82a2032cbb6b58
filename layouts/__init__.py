"""Components of the page. Layout functions know no data: they receive labels and option lists."""
