-- The USB stick and scoped laptops; see schema/central/0004_device_stick.sql.
ALTER TABLE device ADD COLUMN box_key text COLLATE "C";
ALTER TABLE device ADD COLUMN villages text;
ALTER TABLE device ADD COLUMN stick_export text;
