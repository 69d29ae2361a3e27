"""IVR: menu trees, DTMF collection, service hours, queue announcements and the
post-call survey, as pure state machines (standard library only), with their
prompt audio assets. Not yet built; see the project issues."""
