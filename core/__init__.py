"""Pure logic of the dashboard: data access (query), view state, figures, numbers, i18n."""
