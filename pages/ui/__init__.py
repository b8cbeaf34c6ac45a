"""The frame every page shares: theme, navigation, session and access, formats, translations, errors, PWA."""
