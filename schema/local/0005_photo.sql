-- Photos as the laptop keeps them (common/huce_photo.h): a re-encoded copy
-- in DB.photos/<sha256>.jpg, its pixels, the camera file's size, and a
-- flag when the camera's date lies far from the inspection's.
ALTER TABLE photo ADD COLUMN width INTEGER;
ALTER TABLE photo ADD COLUMN height INTEGER;
ALTER TABLE photo ADD COLUMN camera_bytes INTEGER;
ALTER TABLE photo ADD COLUMN date_flag TEXT;
CREATE INDEX photo_sha ON photo(sha256);

-- photo_file.path is now the kept copy; original_sha256 is the camera
-- file's digest, so `huce photo import` skips what it has seen without
-- decoding it again.
ALTER TABLE photo_file ADD COLUMN original_sha256 TEXT;
CREATE INDEX photo_file_original ON photo_file(original_sha256);
