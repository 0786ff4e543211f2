-- A token enrolls one laptop: the install id of the laptop that first
-- enrolled with it, and when; see schema/central/0003_device_install.sql.
ALTER TABLE device ADD COLUMN install_id text COLLATE "C";
ALTER TABLE device ADD COLUMN enrolled_at bigint;
