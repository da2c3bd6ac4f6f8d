"""PDF documents rendered with WeasyPrint: quotes and commercial reports."""
