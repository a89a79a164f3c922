"""The partners area: partner clients (admins), and what partners may read of members."""
