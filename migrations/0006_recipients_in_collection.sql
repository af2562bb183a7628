-- A recipients marking is resolved from the marking-definition versions stored
-- in the collection being written, as the poster may see them (issue 4): a
-- server-wide table let whoever posted a marking id first, in any collection,
-- decide the recipients of everyone else's objects that reference that id.
DROP TABLE recipient_markings;
