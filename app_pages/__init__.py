"""app_pages"""
