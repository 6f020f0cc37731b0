"""The UI beyond the pages: cached state shared by every page, the sidebar, download buttons. Imports streamlit."""
